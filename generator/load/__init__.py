"""Load stage: `site.toml` (`config`), what is under content/ (`sources`), attachments' bytes and text (`attachments`), git dates (`history`), and the shared-repository gate (`gate`)."""
