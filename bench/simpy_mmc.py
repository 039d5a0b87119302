#!/usr/bin/env python3
"""simpy_mmc.py - lbsim against SimPy 3 on the same M/M/c model (issue 16).

The model is bench/mmc.yaml: M/M/4, Poisson arrivals at 3.4/s, exponential
service of mean 1 s, one FIFO queue.  SimPy (python3-simpy3) runs it with a
Resource of capacity 4; lbsim runs `lbsim run bench/mmc.yaml --threads 1
--json` as a child process.  Both are timed in CPU time (SimPy:
time.process_time() of this process; lbsim: the children's user + system
time from getrusage, which includes loading the scenario and writing the
summary, so it favours SimPy).  Prints CPU microseconds per customer of
each, the mean queue wait of each (both near Erlang C, 1.149 s, as a check
that the two models agree), and the ratio SimPy / lbsim with its target.

usage: bench/simpy_mmc.py [LBSIM] [SIMPY_CUSTOMERS]
    (LBSIM default build/lbsim; SimPy customers default 200000; lbsim runs
    the 10^6 requests of bench/mmc.yaml)
"""
import json
import os
import random
import resource
import subprocess
import sys
import time

try:
    import simpy
except ImportError:
    sys.exit("simpy_mmc: no simpy module: install python3-simpy3 and run with the "
             "python3 that has it (Debian: /usr/bin/python3 bench/simpy_mmc.py)")

TARGET_RATIO = 50.0
SERVERS, LAMBDA, MU = 4, 3.4, 1.0


def simpy_mmc(customers, seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=SERVERS)
    acc = [0.0, 0]

    def customer():
        t0 = env.now
        with server.request() as req:
            yield req
            acc[0] += env.now - t0
            acc[1] += 1
            yield env.timeout(rng.expovariate(MU))

    def source():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer())

    env.process(source())
    env.run()
    return acc[0] / acc[1], acc[1]


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main():
    lbsim = sys.argv[1] if len(sys.argv) > 1 else "build/lbsim"
    n_simpy = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    here = os.path.dirname(os.path.abspath(__file__))
    scn = os.path.join(here, "mmc.yaml")

    c0 = children_cpu_s()
    out = subprocess.run([lbsim, "run", scn, "--threads", "1", "--json"], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    lb_cpu = children_cpu_s() - c0
    summary = json.loads(out)
    runs = summary["runs"] if "runs" in summary else [summary]
    run = runs[0]
    lb_n = run["requests"]
    lb_wq = run.get("queue_wait_s", {}).get("mean", float("nan"))

    t0 = time.process_time()
    sp_wq, sp_n = simpy_mmc(n_simpy, 7)
    sp_cpu = time.process_time() - t0

    lb_us = lb_cpu * 1e6 / lb_n
    sp_us = sp_cpu * 1e6 / sp_n
    ratio = sp_us / lb_us
    print("simpy_mmc: M/M/%d rho %.2f; CPU time per customer; ratio = SimPy / lbsim"
          % (SERVERS, LAMBDA / (SERVERS * MU)))
    print("simpy_mmc lbsim  %8d requests  %.3f s CPU  %.3f us/request   Wq %.4f s"
          % (lb_n, lb_cpu, lb_us, lb_wq))
    print("simpy_mmc SimPy  %8d customers %.3f s CPU  %.3f us/customer  Wq %.4f s (SimPy %s)"
          % (sp_n, sp_cpu, sp_us, sp_wq, simpy.__version__))
    print("simpy_mmc ratio %.1fx  [target >= %.0fx: %s]"
          % (ratio, TARGET_RATIO, "met" if ratio >= TARGET_RATIO else "MISSED"))


if __name__ == "__main__":
    main()
