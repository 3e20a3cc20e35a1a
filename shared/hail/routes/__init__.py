"""HTTP routers, one per endpoint group (each Lambda function includes its own)."""
