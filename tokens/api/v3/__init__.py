"""GitHub-compatible owner API (behaviour §5.5): /api/v3/orgs/{org}/personal-access-token…"""
