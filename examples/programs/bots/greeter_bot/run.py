#!/usr/bin/env python3
"""A PyExecutorHub bot: its mode from argv (config.yaml), whom to greet from PARAM_NAME (the request)."""
import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description="Greeter bot")
    parser.add_argument("--mode", default="development")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    name = os.getenv("PARAM_NAME", "World")
    print(f"🤖 greeter_bot in {args.mode} mode (verbose: {args.verbose})")
    print(f"👋 Hello {name}!")
    if name == "fail":
        print("asked to fail", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
