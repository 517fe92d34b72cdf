"""Publish: write-audit-publish of releases (staging, manifest, quality report, atomic promotion, rollback)."""
