# Everything the tests and the demo need is built or installed under .tools,
# once; a second run finds it there and skips the work.
TOOLS       := $(CURDIR)/.tools
TERRAFORM   := $(TOOLS)/bin/terraform
LOCALSTACK  := $(TOOLS)/venv/bin/localstack
MOTO        := $(TOOLS)/moto-venv/bin/moto_server
ROLLOUT     := $(CURDIR)/bin/rollout

TERRAFORM_VERSION  := 1.5.7
LOCALSTACK_VERSION := 4.14.0
MOTO_VERSION       := 5.1.22

# LocalStack 4.14 runs only on Python 3.13 (it uses syntax and modules
# of 3.13); pyenv's copy is used when python3.13 is not on PATH.
PYTHON313 ?= $(shell for p in $(HOME)/.pyenv/versions/3.13*/bin/python3.13 $$(command -v python3.13); do \
	"$$p" -c 'import sys' 2>/dev/null && { echo "$$p"; break; }; done)

export PATH := $(TOOLS)/bin:$(PATH)

.PHONY: all build tools demo test unit e2e emulators-start emulators-stop clean

all: build

build:
	go build -o $(ROLLOUT) ./cmd/rollout

tools: $(TERRAFORM) $(LOCALSTACK) $(MOTO)

# Terraform release downloads are not reachable from every machine that
# runs this, so Terraform is built from source with the Go toolchain.
$(TERRAFORM):
	GOBIN=$(TOOLS)/bin go install github.com/hashicorp/terraform@v$(TERRAFORM_VERSION)

# LocalStack and moto pin conflicting dependencies, so each has a venv.
# The extra pins keep LocalStack 4.14.0 importable: cbor2 6 drops a module
# it imports, pyOpenSSL 26 drops X509.add_extensions, and
# localstack-twisted 26 imports service_identity without requiring it.
$(LOCALSTACK):
	@test -n "$(PYTHON313)" || { echo "LocalStack $(LOCALSTACK_VERSION) needs Python 3.13: install python3.13 or set PYTHON313=/path/to/python3.13"; exit 1; }
	$(PYTHON313) -m venv $(TOOLS)/venv
	$(TOOLS)/venv/bin/pip install --quiet 'localstack-core[runtime]==$(LOCALSTACK_VERSION)' \
		'cbor2>=5.5,<6' 'pyopenssl>=23,<26' 'localstack-twisted==25.5.0'

$(MOTO):
	python3 -m venv $(TOOLS)/moto-venv
	$(TOOLS)/moto-venv/bin/pip install --quiet 'moto[server]==$(MOTO_VERSION)'

emulators-start: tools
	scripts/emulators.sh start

emulators-stop:
	scripts/emulators.sh stop

# The demo: emulators up, state bucket and lock table created, then the
# example planned and rolled out wave by wave.
demo: build tools
	scripts/demo.sh

unit:
	go test -race ./...

# e2e starts and stops its own emulators on ports of its own.
e2e: build tools
	go test -race -tags e2e -count=1 -timeout 20m ./e2e/

test: unit e2e

clean:
	rm -rf bin examples/*/.rollout
