"""The access check engine (behaviour §4): everything a check needs, and nothing a page does.

- pure: `catalogue` (permissions and scopes), `credentials` (token format and
  digests), `policy` (effective-policy resolution), `decision` (the gates),
  `moments` (a moment in words, as its messages and the pages say it);
- loaders: `facts` (one check) and `facts_batch` (a batch), sharing `facts`'
  row readers, over `prepared` queries;
- `source`: what checks, introspection and API clients read, from the database;
- `facts_cache`: the same source, answered from what the process holds — it
  alone knows the version, the lease, the signals, its `refresher` thread and
  `usage`, the last-use writer (`background` runs both threads);
- `access`: `check`, `check_many` and `introspect`, what every interface calls.

It reads the models and writes only `last_used_at`; pages, services and the
API import it, never the other way round.
"""
