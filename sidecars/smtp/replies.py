"""Every reply the SMTP receiver sends, as named constants.

A reply is a basic code (RFC 5321 4.2), an enhanced status code (RFC 3463, advertised through
ENHANCEDSTATUSCODES, RFC 2034) and a text. Texts with ``{placeholders}`` are filled in with
``Reply.format``; values are flattened to one line so nothing a client sent can split a reply.
Tests compare against these constants, so a wording change is made here once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Reply:
    code: int
    status: str  # enhanced status code ("5.5.2"), "" where RFC 2034 leaves it out (greeting, EHLO)
    text: str

    def format(self, **values: object) -> Reply:
        clean = {k: str(v).replace("\r", " ").replace("\n", " ") for k, v in values.items()}
        return replace(self, text=self.text.format(**clean))

    def with_text(self, text: str) -> Reply:
        return replace(self, text=text.replace("\r", " ").replace("\n", " "))

    @property
    def is_error(self) -> bool:
        return self.code >= 400

    def encode(self, extra_lines: tuple[str, ...] = ()) -> bytes:
        """Wire form; ``extra_lines`` follow the text as a multi-line reply (RFC 5321 4.2.1)."""
        lines = [self.text, *extra_lines]
        status = f"{self.status} " if self.status else ""
        out = []
        for i, line in enumerate(lines):
            sep = "-" if i < len(lines) - 1 else " "
            out.append(f"{self.code}{sep}{status}{line}\r\n")
        return "".join(out).encode("utf-8")


# 2xx: success ------------------------------------------------------------------------------------------
GREETING = Reply(220, "", "{host} ESMTP Fieldpost ready")
TLS_GO_AHEAD = Reply(220, "2.0.0", "Ready to start TLS")
CLOSING = Reply(221, "2.0.0", "{host} closing connection")
HELP = Reply(214, "2.0.0", "Commands:")
HELP_TOPIC = Reply(214, "2.0.0", "{text}")
AUTH_OK = Reply(235, "2.7.0", "Authentication successful")
HELO_OK = Reply(250, "", "{host} greets {name}")
EHLO_OK = Reply(250, "", "{host} greets {name} [{ip}]")
OK = Reply(250, "2.0.0", "Ok")
RESET_OK = Reply(250, "2.0.0", "Ok, transaction reset")
SENDER_OK = Reply(250, "2.1.0", "Sender <{address}> ok")
RECIPIENT_OK = Reply(250, "2.1.5", "Recipient <{address}> ok")
VRFY_OK = Reply(250, "2.1.5", "<{address}>")
CHUNK_OK = Reply(250, "2.0.0", "{size} octets received")
QUEUED = Reply(250, "2.0.0", "Ok: queued as {id}")
VRFY_DISABLED = Reply(
    252, "2.5.2", "Cannot verify the address; send the message and delivery will be attempted"
)

# 3xx: go on ---------------------------------------------------------------------------------------------
START_DATA = Reply(354, "", "Go ahead, end the message with <CRLF>.<CRLF>")
AUTH_CHALLENGE = Reply(334, "", "{data}")

# 4xx: try again later -----------------------------------------------------------------------------------
TOO_MANY_ERRORS = Reply(421, "4.7.0", "{host} too many errors, closing connection")
TOO_MANY_AUTH_FAILURES = Reply(421, "4.7.0", "{host} too many failed authentications, closing connection")
CONNECT_TEMPFAIL = Reply(421, "4.3.2", "{host} {text}")
FORBIDDEN_COMMAND = Reply(421, "4.7.0", "{host} this is an SMTP server, closing connection")
STORAGE_ERROR = Reply(451, "4.3.0", "Temporary local problem, try again later")
RULES_BROKEN = Reply(451, "4.3.5", "Acceptance rules are misconfigured, try again later")
TOO_MANY_RECIPIENTS = Reply(452, "4.5.3", "Too many recipients for one message")
THROTTLED = Reply(454, "4.7.0", "Too many failed attempts, try again later")
AUTH_TEMPFAIL = Reply(454, "4.7.0", "Temporary authentication failure")
TLS_UNAVAILABLE = Reply(454, "4.7.0", "TLS not available")

# 5xx: syntax and sequence --------------------------------------------------------------------------------
LINE_TOO_LONG = Reply(500, "5.5.2", "line too long")
UNKNOWN_COMMAND = Reply(500, "5.5.2", "Command not recognized")
NUL_IN_COMMAND = Reply(500, "5.5.2", "NUL characters are not allowed in commands")
BAD_ENCODING = Reply(500, "5.5.2", "Command is not valid UTF-8")
SYNTAX = Reply(501, "5.5.4", "Syntax: {usage}")
BAD_PARAMETER = Reply(501, "5.5.4", "{text}")
BAD_SENDER_SYNTAX = Reply(501, "5.1.7", "Bad sender address syntax: {text}")
BAD_RECIPIENT_SYNTAX = Reply(501, "5.1.3", "Bad recipient address syntax: {text}")
BAD_BASE64 = Reply(501, "5.5.2", "Cannot decode the base64 data")
AUTH_CANCELLED = Reply(501, "5.0.0", "Authentication cancelled")
NOT_IMPLEMENTED = Reply(502, "5.5.1", "{verb} is not implemented")
NEED_EHLO = Reply(503, "5.5.1", "Send EHLO or HELO first")
NEED_MAIL = Reply(503, "5.5.1", "Send MAIL FROM first")
NEED_RCPT = Reply(503, "5.5.1", "Send RCPT TO first")
NESTED_MAIL = Reply(503, "5.5.1", "Sender already given; RSET to start over")
BAD_SEQUENCE = Reply(503, "5.5.1", "{text}")
ALREADY_AUTHENTICATED = Reply(503, "5.5.1", "Already authenticated")
AUTH_NOT_AVAILABLE = Reply(503, "5.5.1", "Authentication is not available on this service")
REJECTED_SESSION = Reply(503, "5.5.1", "Session rejected, only QUIT is accepted")
UNKNOWN_MECHANISM = Reply(504, "5.5.4", "Authentication mechanism {name} is not supported")
UNSUPPORTED_PARAMETER = Reply(555, "5.5.4", "Parameter {name} is not supported")

# 5xx: policy ---------------------------------------------------------------------------------------------
AUTH_REQUIRED = Reply(530, "5.7.0", "Authentication required")
TLS_REQUIRED = Reply(530, "5.7.0", "Must issue a STARTTLS command first")
AUTH_FAILED = Reply(535, "5.7.8", "Authentication credentials invalid")
APP_PASSWORD_REQUIRED = Reply(
    535, "5.7.8", "This account uses two-step sign-in: mail programs sign in with an app password"
)
ENCRYPTION_REQUIRED = Reply(538, "5.7.11", "Encryption required for the requested authentication mechanism")
UNKNOWN_USER = Reply(550, "5.1.1", "<{address}>: no such user here")
SIZE_EXCEEDED = Reply(552, "5.3.4", "Message size exceeds the maximum of {limit} octets")
RECIPIENT_SIZE_EXCEEDED = Reply(
    552, "5.3.4", "<{address}>: message size exceeds this recipient's maximum of {limit} octets"
)
NOT_OWNED = Reply(553, "5.7.1", "<{address}>: sender address not owned by user {user}")
# RFC 5321 4.3.2: the end of DATA may only be refused with 550/554 (5.7.1 as for MAIL FROM, RFC 3463)
FROM_NOT_OWNED = Reply(550, "5.7.1", "<{address}>: From: header address not owned by user {user}")
SENDER_NOT_OWNED_AT_DATA = Reply(550, "5.7.1", "<{address}>: sender address not owned by user {user}")
UTF8_REQUIRED = Reply(553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter")
CONNECT_REJECTED = Reply(554, "5.7.1", "{host} {text}")
RELAY_DENIED = Reply(554, "5.7.1", "<{address}>: relay access denied")
NO_VALID_RECIPIENTS = Reply(554, "5.5.1", "No valid recipients")
LOOP_DETECTED = Reply(554, "5.4.6", "Too many Received headers ({count}), mail loop suspected")
NUL_IN_MESSAGE = Reply(554, "5.6.0", "Message contains NUL characters")
