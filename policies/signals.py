"""Signals other apps hook into: policies imports none of them."""

from django.dispatch import Signal

# Sent inside `policy_update`'s transaction once the row is saved, with `owner`
# (the organization or enterprise), `changes` ({name: (old, new)}) and `actor`.
pat_policy_changed = Signal()
