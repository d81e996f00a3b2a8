#!/usr/bin/env python3
"""Runs after every program, also after failures and timeouts, with the program's real EXIT_CODE."""
import os


def main() -> None:
    exit_code = os.getenv("EXIT_CODE", "unknown")
    print("🔧 [ACT_AFTER] Starting post-execution actions...")
    print(f"📋 [ACT_AFTER] Program: {os.getenv('PROGRAM_ID')}")
    print(f"🔚 [ACT_AFTER] Exit code: {exit_code}")
    status = "✅ SUCCESSFUL" if exit_code == "0" else "❌ FAILED"
    print(f"📊 [ACT_AFTER] Status: {status}")
    print("✅ [ACT_AFTER] Post-execution actions completed")


if __name__ == "__main__":
    main()
