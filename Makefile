# The two commands of the README. Both set up everything they need first.
.PHONY: run test setup lint clean

run:  ## set up, load the data and serve on http://127.0.0.1:8000
	@scripts/setup.sh run
	@.venv/bin/portal up

test:  ## set up and run the whole test suite against a real PostGIS
	@scripts/setup.sh test
	@.venv/bin/python -m pytest

lint:
	@.venv/bin/ruff check .

clean:  ## stop the private cluster and remove generated files (keeps .venv)
	-@.venv/bin/portal stop-db
	rm -rf var datasets/generated test-artifacts
