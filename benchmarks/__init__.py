"""Speed and memory figures, one command each, as ratios against a baseline measured in the same run."""
