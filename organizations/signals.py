"""Signals other apps hook into: organizations imports none of them (tokens → enterprises → organizations)."""

from django.dispatch import Signal

# Sent inside `membership_remove`'s transaction, after the membership is gone,
# with `organization`, `user` and `actor`. A receiver's error rolls the removal back.
member_removed = Signal()
