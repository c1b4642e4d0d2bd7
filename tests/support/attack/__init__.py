"""The combined attack run (tests/support/attack/run.py), shared by
bench/attack_run.py and tests/system/test_attack_run.py."""
