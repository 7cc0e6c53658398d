# The words of tokens.engine.moments (tests/tokens/engine/test_moments.py holds them equal).
DATETIME_FORMAT = "M j, Y, H:i T"
DATE_FORMAT = "M j, Y"
