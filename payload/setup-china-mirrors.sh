#!/usr/bin/env bash
# placeholder: replaced by the real script (issue 3)
set -u
echo "ok setup"
