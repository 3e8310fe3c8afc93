"""The customer-ready findings report of a case's sealed extract (`logdive report`).

- `extract_record`: reads a manifest or summary (leniently) and the redacted entries.
- `model`: what the report says, from the extract alone; `findings`: SIRT's chosen notes, neutralised.
- `charts`: matplotlib SVG charts; `render`: the autoescaped HTML page (templates/report/) and its PDF.
- `service.build_report`: the one door (CLI, Slack button): reads the sealed extract, stores the HTML and the
  PDF as automated-analysis artefacts under the two keys, bound to the extract's SHA-256.
"""
