"""The peers scripts/bench compares faast with, one measurement per invocation; prints one JSON object.

    peers.py ppe-latency N            ProcessPoolExecutor(2): N sequential submit().result(), p50/p99 ms
    peers.py ppe-throughput N         ProcessPoolExecutor(2).map(f, range(N), chunksize=1), calls/s
    peers.py ppe-map N                the same map, cold and untimed (the caller times exec → exit)
    peers.py ray-throughput N         ray.get([f.remote(i) for i in range(N)]) with ray.init(num_cpus=2)
    peers.py dask-throughput N        LocalCluster(2 workers, 1 thread) gather(map(f, range(N), pure=False))
    peers.py ray-cold | dask-cold     init + first call, then shutdown (the caller times exec → exit)
    peers.py boto3-invoke URL N C     N Lambda Invoke calls from a ThreadPoolExecutor(C), requests/s, CPU

Each measurement starts its pool and warms it up first (outside the timed part), except the cold ones.
"""
import json
import os
import resource
import sys
import time


def f(x):
    return x + 1


def pct(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[rank]


def emit(obj):
    print(json.dumps(obj), flush=True)


def ppe_latency(n):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=2) as pool:
        for i in range(min(300, n)):
            pool.submit(f, i).result()
        samples = []
        for i in range(n):
            t0 = time.perf_counter()
            pool.submit(f, i).result()
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    emit({"n": n, "p50Ms": pct(samples, 50), "p99Ms": pct(samples, 99), "meanMs": sum(samples) / n})


def ppe_throughput(n):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(f, range(200), chunksize=1))
        t0 = time.perf_counter()
        out = list(pool.map(f, range(n), chunksize=1))
        elapsed = time.perf_counter() - t0
    assert out[-1] == n
    emit({"n": n, "elapsedSeconds": elapsed, "callsPerSecond": n / elapsed})


def ppe_map(n):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=2) as pool:
        out = list(pool.map(f, range(n), chunksize=1))
    assert out[-1] == n
    emit({"n": n})


def ray_throughput(n):
    import ray
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    rf = ray.remote(f)
    ray.get([rf.remote(i) for i in range(200)])
    t0 = time.perf_counter()
    out = ray.get([rf.remote(i) for i in range(n)])
    elapsed = time.perf_counter() - t0
    assert out[-1] == n
    emit({"n": n, "elapsedSeconds": elapsed, "callsPerSecond": n / elapsed, "version": ray.__version__})
    ray.shutdown()


def dask_cluster():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return cluster, Client(cluster)


def dask_throughput(n):
    import logging
    logging.getLogger("distributed").setLevel(logging.ERROR)
    import distributed
    cluster, client = dask_cluster()
    client.gather(client.map(f, range(200), pure=False))
    t0 = time.perf_counter()
    out = client.gather(client.map(f, range(n), pure=False))
    elapsed = time.perf_counter() - t0
    assert out[-1] == n
    emit({"n": n, "elapsedSeconds": elapsed, "callsPerSecond": n / elapsed, "version": distributed.__version__})
    client.close()
    cluster.close()


def ray_cold():
    t0 = time.perf_counter()
    import ray
    ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    out = ray.get(ray.remote(f).remote(1))
    first = time.perf_counter() - t0
    assert out == 2
    ray.shutdown()
    emit({"importInitFirstCallMs": first * 1000})


def dask_cold():
    import logging
    t0 = time.perf_counter()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster, client = dask_cluster()
    out = client.submit(f, 1, pure=False).result()
    first = time.perf_counter() - t0
    assert out == 2
    client.close()
    cluster.close()
    emit({"importInitFirstCallMs": first * 1000})


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def boto3_invoke(url, n, concurrency):
    import boto3
    from botocore.config import Config
    from concurrent.futures import ThreadPoolExecutor
    client = boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y",
        config=Config(max_pool_connections=concurrency, retries={"max_attempts": 0, "mode": "standard"}))
    payload = b'{"callId":"c","name":"noop","args":[1]}'

    def one(_):
        t0 = time.perf_counter()
        r = client.invoke(FunctionName="f", Payload=payload, LogType="Tail")
        value = json.loads(r["Payload"].read())
        ok = r["StatusCode"] == 200 and value.get("value") == 1
        return ok, (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(2 * concurrency)))
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        results = list(pool.map(one, range(n)))
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    lat = sorted(ms for _, ms in results)
    failed = sum(1 for ok, _ in results if not ok)
    emit({"requests": n, "concurrency": concurrency, "failed": failed, "elapsedSeconds": elapsed,
          "requestsPerSecond": n / elapsed, "cpuSeconds": cpu, "cpuMicrosPerRequest": cpu / n * 1e6,
          "latencyMsP50": pct(lat, 50), "latencyMsP99": pct(lat, 99), "version": boto3.__version__})


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ppe-latency":
        ppe_latency(int(args[0]))
    elif cmd == "ppe-throughput":
        ppe_throughput(int(args[0]))
    elif cmd == "ppe-map":
        ppe_map(int(args[0]))
    elif cmd == "ray-throughput":
        ray_throughput(int(args[0]))
    elif cmd == "dask-throughput":
        dask_throughput(int(args[0]))
    elif cmd == "ray-cold":
        ray_cold()
    elif cmd == "dask-cold":
        dask_cold()
    elif cmd == "boto3-invoke":
        boto3_invoke(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit("unknown measurement " + cmd)


if __name__ == "__main__":
    main()
