"""JMAP for Contacts (RFC 9610): the user's address books and their cards as JSContact (RFC 9553), over
the organizer's contacts folders (storage.pim), the same cards the Standard interface and CardDAV show.

Importing this package registers AddressBook/get, /changes and ContactCard/get, /changes, /query, /set,
announces ``urn:ietf:params:jmap:contacts`` in the Session (webmail/jmap/session_resource.py reads
``registry.ACCOUNT_CAPABILITIES``) and adds the two types to push. docs/jmap.md says what is supported.
"""

from webmail.jmap import registry
from webmail.jmap.contacts import address_book as address_book
from webmail.jmap.contacts import card_get as card_get
from webmail.jmap.contacts import card_query as card_query
from webmail.jmap.contacts import card_set as card_set
from webmail.jmap.contacts import state as state
from webmail.jmap.contacts.address_book import CONTACTS

registry.SERVER_CAPABILITIES[CONTACTS] = {}
#: One address book per card (a card is one vCard of one folder); creating address books is done in the
#: Standard interface or over CardDAV (no AddressBook/set yet).
registry.ACCOUNT_CAPABILITIES[CONTACTS] = {"maxAddressBooksPerCard": 1, "mayCreateAddressBook": False}
registry.state_source(state.current_states)
