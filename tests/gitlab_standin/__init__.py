"""The GitLab stand-in's pytest fixture; the stand-in is bot.sandbox.gitlab (packaged for `logdive demo`)."""
