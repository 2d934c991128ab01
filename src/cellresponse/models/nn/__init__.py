"""Plain torch ``nn.Module`` networks (import needs torch)."""
