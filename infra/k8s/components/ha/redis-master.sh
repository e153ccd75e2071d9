#!/bin/sh
# Prints the host name of the current Redis master, as the Sentinels of the
# other pods know it; with none of them answering (the first start, or all
# down), the first pod's. Run by redis-start.sh and sentinel-start.sh.
#
# This pod's own Sentinel is left out: it starts at the same time as this
# script runs and knows nothing yet. Each Sentinel answers with the name the
# master announces (replica-announce-ip, sentinel announce-hostnames), the
# same <pod>.<service> names as below.
#
# Env: POD_NAME (the pod, <statefulset>-<n>), REDIS_SERVICE (the governing
# Service), REDIS_PODS (the StatefulSet's replicas); REDISCLI_AUTH for the
# Sentinels' requirepass.
set -u
statefulset="${POD_NAME%-*}"
i=0
while [ "$i" -lt "$REDIS_PODS" ]; do
  peer="${statefulset}-${i}"
  i=$((i + 1))
  [ "$peer" = "$POD_NAME" ] && continue
  # A peer that doesn't exist yet fails at once; one that hangs, after 3 s.
  master=$(timeout 3 redis-cli -h "${peer}.${REDIS_SERVICE}" -p 26379 --raw \
    SENTINEL get-master-addr-by-name mymaster 2>/dev/null | head -n 1)
  case "$master" in
    "" | *ERR* | *NOAUTH* | *WRONGPASS*) ;;
    *)
      echo "$master"
      exit 0
      ;;
  esac
done
echo "${statefulset}-0.${REDIS_SERVICE}"
