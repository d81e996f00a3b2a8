#!/usr/bin/env python3
"""A PyExecutorHub script: reads its environment and arguments, prints them, exits 0."""
import os
import sys


def main() -> int:
    print("=" * 50)
    print("🚀 hello_python")
    print(f"📋 Program ID: {os.getenv('PROGRAM_ID', 'unknown')}")
    print(f"🆔 Execution ID: {os.getenv('EXECUTION_ID', 'unknown')}")
    print(f"🧾 Arguments: {sys.argv[1:]}")
    params = {key: value for key, value in sorted(os.environ.items()) if key.startswith("PARAM_")}
    for key, value in params.items():
        print(f"📝 Parameter {key}: {value}")
    if not params:
        print("📝 No custom parameters provided")
    print("Done\\nwith a literal newline, which hookflow shows as a line break")
    print("=" * 50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
