#!/bin/sh
# Starts redis-server (its command line is this script's arguments) as the
# master, or as a replica of the master the Sentinels name (redis-master.sh).
# Without this, a pod that was the master before a failover would come back
# as a second master, or a replica of a replica.
set -eu
# As the image's entrypoint, which this script replaces, does: files for redis only.
umask 0077
self="${POD_NAME}.${REDIS_SERVICE}"
master=$(sh "$(dirname "$0")/redis-master.sh")
if [ "$master" = "$self" ]; then
  echo "starting as the master ($self)"
  exec "$@"
fi
echo "starting as a replica of $master"
exec "$@" --replicaof "$master" 6379
