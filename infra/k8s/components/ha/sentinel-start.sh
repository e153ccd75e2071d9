#!/bin/sh
# Writes the Sentinel's configuration, then starts it (its command line is this
# script's arguments). Sentinel rewrites the file as it learns the replicas,
# the other Sentinels and each failover, so it lives in an emptyDir; a
# restarted Sentinel starts from the master the others name (redis-master.sh)
# and learns the rest from them.
#
# The password (REDISCLI_AUTH, from the Secret expiration-redis) goes in the
# file as auth-pass: Sentinel reads it nowhere else. The emptyDir is in memory.
set -eu
# The file the command line names: redis-server <file> --sentinel …
conf="$2"
self="${POD_NAME}.${REDIS_SERVICE}"
master=$(sh "$(dirname "$0")/redis-master.sh")
echo "monitoring $master as mymaster"
umask 077
cat > "$conf" <<CONF
dir $(dirname "$conf")
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${self}
sentinel announce-port 26379
sentinel monitor mymaster ${master} 6379 2
sentinel auth-pass mymaster ${REDISCLI_AUTH}
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 60000
sentinel parallel-syncs mymaster 1
CONF
exec "$@"
