"""Onboarding: adding a feed from a sample file (registry stanza, staging model, docs stub), validated."""
