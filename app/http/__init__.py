"""HTTP plumbing every domain's routes share: error rendering and request/response bodies."""
