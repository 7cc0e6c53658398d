"""GitHub-compatible owner API (SPEC §5.5): /api/v3/orgs/{org}/personal-access-token…"""
