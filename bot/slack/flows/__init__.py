"""What listeners hand their work on to, after acknowledging: one module per flow."""
