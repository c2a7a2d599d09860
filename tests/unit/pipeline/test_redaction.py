"""No credential in what a run leaves behind: the run record, the summary copy, error lines, logs."""

from __future__ import annotations

import pytest

from scrapeline.pipeline.options import REDACTED, is_secret, redact, redact_flags, scrub

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("name", [
    "s3_access_key_id", "s3_secret_access_key", "s3_session_token",  # Beam's S3 options
    "service_account_key_file", "impersonate_service_account",  # GCP
    "azure_connection_string", "azure_managed_identity_client_id",  # Azure
    "my_api_secret", "vault_token", "db_password", "aws_key_id", "--s3-secret-access-key",  # any that says so
])
def test_credential_options_are_secret(name):
    assert is_secret(name)


@pytest.mark.parametrize("name", ["runner", "s3_endpoint_url", "s3_region_name", "project", "temp_location",
                                  "direct_num_workers", "job_endpoint", "flink_master"])
def test_other_options_are_not(name):
    assert not is_secret(name)


def test_redact_replaces_only_credential_values():
    options = {"runner": "DirectRunner", "s3_secret_access_key": SECRET, "s3_access_key_id": "AKIAEXAMPLE",
               "s3_session_token": None, "s3_endpoint_url": "http://127.0.0.1:9000"}
    assert redact(options) == {"runner": "DirectRunner", "s3_secret_access_key": REDACTED,
                               "s3_access_key_id": REDACTED, "s3_session_token": None,
                               "s3_endpoint_url": "http://127.0.0.1:9000"}
    assert options["s3_secret_access_key"] == SECRET  # the run itself still gets the key


def test_redact_flags_both_spellings():
    flags = ["--runner=DirectRunner", f"--s3_secret_access_key={SECRET}", "--s3_session_token", "tok-123456",
             "--project", "p1"]
    assert redact_flags(flags) == ["--runner=DirectRunner", f"--s3_secret_access_key={REDACTED}",
                                   "--s3_session_token", REDACTED, "--project", "p1"]


def test_scrub_removes_a_secret_quoted_in_an_error():
    text = f"botocore: signature mismatch for key {SECRET} at endpoint"
    assert SECRET not in scrub(text, {"s3_secret_access_key": SECRET})
    assert scrub(text, {"runner": SECRET}) == text  # not a credential option: left as it is
