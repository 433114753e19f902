<?php
// A small scripted client of the administrator's console, written the way a PHP provisioning library
// talks to such a console: connect, read up to the prompt, turn TLS on, log in, create a domain and
// commit it, "save" the configuration, list the domains and parse the table.
//
// Usage: php php_client.php HOST PORT ADMIN PASSWORD CAFILE NEW_DOMAIN POSTMASTER_PASSWORD
// Prints one JSON object: {"created": bool, "saved": bool, "domains": [{"name":..., "status":...}, ...]}
// and exits 0; any protocol surprise prints "ERROR: ..." on stderr and exits 1.

function fail(string $message): void {
    fwrite(STDERR, "ERROR: " . $message . "\n");
    exit(1);
}

// Everything the server sends up to and including the next prompt ("<login> ", "<#> ", "<domain#> "...).
function read_to_prompt($conn): string {
    $buffer = "";
    while (!preg_match('/(^|\n)<[a-z#-]*> $/', $buffer)) {
        $chunk = fread($conn, 8192);
        if ($chunk === false || ($chunk === "" && feof($conn))) {
            fail("connection closed while waiting for a prompt after: " . $buffer);
        }
        $buffer .= $chunk;
    }
    return $buffer;
}

function command($conn, string $line): string {
    fwrite($conn, $line . "\r\n");
    return read_to_prompt($conn);
}

function succeeded(string $reply): bool {
    return preg_match('/^\+OK: /m', $reply) === 1;
}

// The rows of a table reply: header line, a line of dashes, then one line per row; cells are separated
// by runs of two or more spaces.
function parse_table(string $reply): array {
    $lines = explode("\r\n", $reply);
    $rows = [];
    $header = null;
    foreach ($lines as $index => $line) {
        if ($header === null) {
            if (isset($lines[$index + 1]) && preg_match('/^-+(  -+)*$/', $lines[$index + 1])) {
                $header = preg_split('/\s{2,}/', trim($line));
            }
            continue;
        }
        if (preg_match('/^-+(  -+)*$/', $line)) {
            continue;
        }
        if (str_starts_with($line, "+OK: ") || str_starts_with($line, "-ERR: ") || str_starts_with($line, "<")) {
            break;
        }
        $cells = preg_split('/\s{2,}/', trim($line));
        $row = [];
        foreach ($header as $i => $name) {
            $row[$name] = $cells[$i] ?? "";
        }
        $rows[] = $row;
    }
    return $rows;
}

[$script, $host, $port, $admin, $password, $cafile, $domain, $postmaster] = $argv;

$conn = stream_socket_client("tcp://{$host}:{$port}", $errno, $errstr, 10);
if ($conn === false) {
    fail("cannot connect: {$errstr}");
}
stream_set_timeout($conn, 20);

$greeting = read_to_prompt($conn);
if (!succeeded($greeting) || !str_ends_with($greeting, "<login> ")) {
    fail("unexpected greeting: " . $greeting);
}
if (str_contains($greeting, "STARTTLS")) {
    if (!succeeded(command_raw($conn, "STARTTLS"))) {
        fail("STARTTLS refused");
    }
    stream_context_set_option($conn, "ssl", "cafile", $cafile);
    stream_context_set_option($conn, "ssl", "peer_name", "localhost");
    stream_context_set_option($conn, "ssl", "verify_peer", true);
    if (!stream_socket_enable_crypto($conn, true, STREAM_CRYPTO_METHOD_TLS_CLIENT)) {
        fail("TLS handshake failed");
    }
    read_to_prompt($conn); // the login prompt again, over TLS
}

// STARTTLS is answered by one line without a prompt: the handshake comes next.
function command_raw($conn, string $line): string {
    fwrite($conn, $line . "\r\n");
    $reply = fgets($conn);
    return $reply === false ? "" : $reply;
}

if (command($conn, "USER " . $admin) !== "<password> ") {
    fail("no password prompt");
}
$login = command($conn, $password);
if (!succeeded($login) || !str_ends_with($login, "<#> ")) {
    fail("login failed: " . $login);
}

$created = false;
$create = command($conn, "CREATE DOMAIN name {$domain} domainLocation domains/{$domain}/ postmasterPassword \"{$postmaster}\"");
if (succeeded($create) && str_ends_with($create, "<domain#> ")) {
    $commit = command($conn, "COMMIT");
    $created = succeeded($commit) && str_ends_with($commit, "<#> ");
}
$saved = succeeded(command($conn, "SAVE CONFIG"));
$domains = parse_table(command($conn, "LIST DOMAINS"));
fwrite($conn, "QUIT\r\n");
fclose($conn);

echo json_encode(["created" => $created, "saved" => $saved, "domains" => $domains]), "\n";
exit(0);
