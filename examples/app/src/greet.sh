#!/bin/sh
# The example image's command: proves the layers are all there.
echo "hello from $(cat /app/NAME) on $(uname -s)"
echo "dependencies: $(cat /app/deps/installed.txt)"
echo "config: $(cat /etc/app/config.json)"
