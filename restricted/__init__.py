"""The restricted zone: record-level sources that reach shared marts only as disclosure-controlled aggregates.

Modules, in the order data moves through them:
  keys       the zone key (environment or a key file outside the repository), redaction of key material
  crypto     AES-256-GCM encryption of files at rest
  zone       the zone's folders and its append-only attempt log
  pickup     encrypted deliveries from the landing zone -> contract -> encrypted landed versions
  dbt_plugin decrypts the landed version in memory for the restricted dbt project (an in-memory DuckDB)
  sdc        statistical disclosure control rules (primary + secondary suppression), pure functions
  disclosure mission 8's disclosure-controlled outputs (run by the restricted dbt project's Python model)
  scanner    the disclosure scanner, run on every export and every shared release
  export     the zone's only exit: restricted dbt build -> SDC -> scanner -> export swap
  cleared    the cleared analysts' release, inside the zone
Nothing outside this package reads record-level data; the shared warehouse reads `export/open/` only.
"""
