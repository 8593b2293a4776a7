# gunicorn settings for the memory API. gunicorn executes this file; workeradvisor only parses it.
import multiprocessing

bind = "0.0.0.0:8000"
# the classic recipe: counts the host's CPUs, not the container's 2-CPU limit
workers = multiprocessing.cpu_count() * 2 + 1
timeout = 60
graceful_timeout = 30
accesslog = "-"
