#!/usr/bin/env python3
"""Runs before every program (PyExecutorHub's actions/act_before.py, unchanged)."""
import os
import shutil
from datetime import datetime


def main() -> None:
    print("🔧 [ACT_BEFORE] Starting pre-execution actions...")
    print(f"📋 [ACT_BEFORE] Program: {os.getenv('PROGRAM_ID')}")
    print(f"🆔 [ACT_BEFORE] Execution: {os.getenv('EXECUTION_ID')}")
    print(f"⏰ [ACT_BEFORE] Timestamp: {datetime.now().isoformat()}")
    free_gb = shutil.disk_usage("/tmp").free // (1024 ** 3)
    print(f"💾 [ACT_BEFORE] Free space: {free_gb} GB")
    print("✅ [ACT_BEFORE] Pre-execution actions completed")


if __name__ == "__main__":
    main()
