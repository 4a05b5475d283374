-- The all-in-one app (docker compose --profile single) keeps its events, read models and tokens apart from the
-- distributed mode's, whose events live in Axon Server.
CREATE DATABASE chorus_single OWNER chorus;
