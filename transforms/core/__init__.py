"""What every stage shares: records and Arrow schemas (records.py), the metrics namespace (metrics.py), paths on
local disk and object stores (storage.py), content keys (keys.py), instants (times.py) and value checks
(checks.py). Imports nothing of the stages."""
