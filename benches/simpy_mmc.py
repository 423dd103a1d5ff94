"""SimPy M/M/c reference for scalesim's speed comparison (not part of CI).

Same model as benches/engine.rs `mmc_queue`: Poisson arrivals at 90/s, 10 servers, exponential
service with mean 100 ms (utilisation 0.9), FCFS, recording each customer's response time.
Prints customers simulated per second of wall time.

    pip install simpy
    taskset -c 0 python3 benches/simpy_mmc.py 200000
"""
import random
import sys
import time

import simpy


def run(customers, lam=90.0, mu=10.0, c=10, seed=1):
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    latencies = []

    def customer(env):
        t0 = env.now
        with servers.request() as req:
            yield req
            yield env.timeout(rng.expovariate(mu))
        latencies.append(env.now - t0)

    def source(env):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return latencies


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    start = time.perf_counter()
    lat = run(n)
    wall = time.perf_counter() - start
    print(f"simpy M/M/10 rho=0.9: {n} customers in {wall:.3f} s = {n / wall:,.0f} customers/s "
          f"(mean response {sum(lat) / len(lat):.4f} s)")
