"""Artefact custody: encrypted at rest, two-key review bound to the checksum, retention, erasure.

- `vault.Vault` (crypto + store + key ring): sealed blobs; `store.BlobStore` is the interface an
  object store can implement, `store.LocalDirectoryStore` the default (LOGDIVE_ARTEFACT_DIR).
- `service`: store_artefact, add_version, read_artefact, submit_for_review, approve, deny, review_of,
  artefact_summaries, set_nda_status.
- `export`: export_for_customer, issue_download / redeem_download, record_subcontractor_consent,
  share_with_subcontractor.
- `retention`: extend_retention, record_customer_told, expire_due / sweep / retention_job.
- `erasure.erase_case`; `rotation.rotate_keys`; `roles.RoleProvider` for the CLI's `--as`.

Every action is one transaction with its case events and the notes it owes the SIRT issue.
"""
