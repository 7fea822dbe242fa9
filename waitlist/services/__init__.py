"""Every write of the waitlist goes through here (the same rules as scheduling.services).

Lock order, extending the booking services' (patient → sessions → chairs → nurses):

    patient → freed time (FreedSlot) → its offers (by id) → sessions → chairs → nurses

An acceptance locks its patient, then the freed slot, then every offer of that slot, and only
then calls the booking services (which lock the patient again, a no-op, then sessions, chairs,
nurses). Two patients accepting the same freed time both want its row: the second waits, then
finds it filled and its own offer `taken`. The dispatcher locks a freed slot with SKIP LOCKED
(an acceptance in progress is simply skipped this cycle) and never locks a patient after it.
An offer message (the offer outbox) is locked after its patient, like a reminder; withdrawing
an offer that could not be delivered happens afterwards in its own transaction.
On PostgreSQL the unique constraint `offer_one_winner` (one accepted offer per freed slot) and
the sessions' exclusion constraints are the last line.
"""

from waitlist.freed import record_freed_time  # noqa: F401
from waitlist.services.entries import (  # noqa: F401
    add_entry,
    expire_entries,
    remove_entry,
    update_entry,
)
from waitlist.services.offers import (  # noqa: F401
    OfferUnavailable,
    accept_offer,
    decline_offer,
    expire_holds,
    fill_by_phone,
    make_offers,
    withdraw_ended_entry_offers,
    withdraw_slot,
)
