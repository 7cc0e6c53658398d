import pytest
from rest_framework.test import APIClient


@pytest.fixture
def anonymous_api():
    return APIClient()
