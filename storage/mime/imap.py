"""What an IMAP server serialises from a parsed message: BODYSTRUCTURE, ENVELOPE, section lookup.

Implementation notes:
- Results are nested lists of str/int/None (None is NIL) for the IMAP serialiser, which owns
  quoting and literals; nothing here knows the wire syntax.
- Case: types, subtypes, parameter names and the disposition type are upper-cased, as in the
  examples of RFC 3501 7.4.2 and what clients are used to; values are kept as given.
- RFC 2231 parameters stay as joined but undecoded ``name*`` values, so BODYSTRUCTURE stays ASCII
  and clients decode them, as Dovecot does.
- A multipart always has at least one child (the tree walk guarantees it), as
  RFC 3501 9 body-type-mpart requires.
"""

from __future__ import annotations

from storage.mime.model import MESSAGE_RFC822, AddressList, BodyValue, Envelope, Params, Part


def part_by_section(root: Part, section: str) -> Part | None:
    """RFC 3501 6.4.5 lookup; "" is the whole message, and a non-multipart message's body is "1".

    For a message/rfc822 part N, "N.1" is the encapsulated message's body (returned as that message's
    part, whose body slice is the answer) unless it is multipart, in which case "N.1" is its first child.
    """
    if section == "":
        return root
    numbers = section.split(".")
    if not all(n.isascii() and n.isdigit() and len(n) < 10 for n in numbers):
        return None
    current: Part | None = root
    if root.maintype != "multipart":
        if int(numbers[0]) != 1:
            return None
        numbers = numbers[1:]
    for n in numbers:
        if current is None:
            return None
        current = _step(current, int(n))
    return current


def _step(part: Part, n: int) -> Part | None:
    if part.maintype == "multipart":
        return part.children[n - 1] if 1 <= n <= len(part.children) else None
    if part.children:  # message/rfc822
        inner = part.children[0]
        if inner.maintype == "multipart":
            return inner.children[n - 1] if 1 <= n <= len(inner.children) else None
        return inner if n == 1 else None
    return None


def envelope_structure(env: Envelope | None) -> list[BodyValue]:
    """The RFC 3501 7.4.2 ENVELOPE list; empty address lists are NIL."""
    if env is None:
        return [None] * 10

    def addrs(lst: AddressList) -> BodyValue:
        return [[a.name, a.adl, a.mailbox, a.host] for a in lst] or None

    return [
        env.date,
        env.subject,
        addrs(env.from_),
        addrs(env.sender),
        addrs(env.reply_to),
        addrs(env.to),
        addrs(env.cc),
        addrs(env.bcc),
        env.in_reply_to,
        env.message_id,
    ]


def _bs_params(params: Params) -> BodyValue:
    return [x for name, value in params for x in (name.upper(), value)] or None


def _bs_extension(part: Part) -> list[BodyValue]:
    disposition: BodyValue = None
    if part.disposition is not None:
        disposition = [part.disposition[0].upper(), _bs_params(part.disposition[1])]
    language: BodyValue = None
    if part.language:
        tags: list[BodyValue] = [t.strip() for t in part.language.split(",") if t.strip()]
        language = tags if len(tags) > 1 else part.language
    return [disposition, language, part.location]


def bodystructure(root: Part, extended: bool) -> list[BodyValue]:
    """RFC 3501 7.4.2 BODYSTRUCTURE (``extended``) or BODY as nested lists for the IMAP serialiser.

    Types, subtypes, parameter names and the disposition type are upper-case ("TEXT", "PLAIN"),
    which is what clients are used to; None means NIL.
    """
    if root.maintype == "multipart" and root.children:
        out: list[BodyValue] = [bodystructure(c, extended) for c in root.children]
        out.append(root.subtype.upper())
        if extended:
            out += [_bs_params(root.params), *_bs_extension(root)]
        return out
    out = [
        root.maintype.upper(),
        root.subtype.upper(),
        _bs_params(root.params),
        root.content_id,
        root.description,
        root.encoding,
        root.size,
    ]
    if (root.maintype, root.subtype) == MESSAGE_RFC822 and root.children:
        out += [envelope_structure(root.envelope), bodystructure(root.children[0], extended), root.lines]
    elif root.maintype == "text":
        out.append(root.lines)
    if extended:
        out += [root.md5, *_bs_extension(root)]
    return out
