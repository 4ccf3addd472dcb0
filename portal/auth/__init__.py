"""Who is asking and what they may see: accounts, tokens, sessions, OIDC, the policy."""
