"""``rfclassify model``: signing keys, model signatures and what a model file says about itself."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rfclassify.errors import ModelError


@click.group(
    "model",
    epilog=(
        "\b\nA model other than the shipped one loads only with a valid signature by a trusted key\n"
        "(a .pub file in $XDG_CONFIG_HOME/rfclassify/trusted-keys/ or /etc/rfclassify/trusted-keys/)\n"
        "or with --allow-unsigned-model (RFCLASSIFY_ALLOW_UNSIGNED_MODEL=1)."
    ),
)
def command() -> None:
    """Make signing keys, sign and verify model files, show a model's metadata.

    \b
    Examples:
      rfclassify model keygen                      # this machine's key; its models are trusted here
      rfclassify model keygen -o publisher.pem  # a publisher's key pair (publisher.pem, .pub)
      rfclassify model sign models/mine.rfcm --key publisher.pem
      rfclassify model verify models/mine.rfcm
      rfclassify model info models/mine.rfcm | jq .classes
    """


@command.command("keygen")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), default=None,
              help="Private key file to write (its public key goes to OUTPUT.pub). "
              "Default: this machine's key, whose public key is trusted here.")
def keygen(out: str | None) -> None:
    """Make an Ed25519 key pair for signing models.

    \b
    Examples:
      rfclassify model keygen
      rfclassify model keygen -o publisher.pem
    """
    from rfclassify.classify.signing import config_dir, generate_key, local_signing_key

    if out is None:
        private, public = local_signing_key(), config_dir() / "trusted-keys" / "local.pub"
    else:
        private = Path(out)
        public = private.with_name(private.name + ".pub")
    kid = generate_key(private, public)
    click.echo(json.dumps({"key_id": kid, "private_key": str(private), "public_key": str(public)}, indent=2))


@command.command("sign")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--key", type=click.Path(dir_okay=False), default=None,
              help="Ed25519 private key (PEM); default: this machine's key.")
def sign(model: str, key: str | None) -> None:
    """Sign MODEL (writes MODEL.sig beside it).

    \b
    Examples:
      rfclassify model sign models/mine.rfcm
      rfclassify model sign models/mine.rfcm --key publisher.pem
    """
    from rfclassify.classify.persistence import read_model_bytes
    from rfclassify.classify.signing import local_signing_key, sign_model

    read_model_bytes(model)  # a pickle or a non-model is not signed
    key_path = Path(key) if key else local_signing_key()
    if not key_path.exists():
        raise ModelError(f"{key_path}: no signing key; make one with 'rfclassify model keygen' or give --key")
    sig, kid = sign_model(model, key_path)
    click.echo(json.dumps({"signature": str(sig), "key_id": kid}, indent=2))


@command.command("verify")
@click.argument("model", type=click.Path(dir_okay=False))
def verify(model: str) -> None:
    """Check MODEL's signature and whether its key is trusted (exit 2 if it would not load).

    \b
    Examples:
      rfclassify model verify models/mine.rfcm
    """
    from rfclassify.classify.persistence import default_model_path, read_model_bytes
    from rfclassify.classify.signing import check_trust

    data = read_model_bytes(model)
    shipped = Path(model).resolve() == default_model_path().resolve()
    verdict = check_trust(model, data, shipped=shipped, allow_unsigned=False)
    click.echo(f"{model}: {verdict.describe()}")


@command.command("info")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--allow-unsigned-model", is_flag=True, help="Read a model that is not signed by a trusted key.")
def info(model: str, allow_unsigned_model: bool) -> None:
    """Print MODEL's metadata (classes, training data, metrics, versions) as JSON.

    \b
    Examples:
      rfclassify model info models/mine.rfcm | jq .classes
      rfclassify model info downloaded.rfcm --allow-unsigned-model
    """
    from rfclassify.classify.persistence import load_model

    loaded = load_model(model, allow_unsigned=allow_unsigned_model or None)
    click.echo(json.dumps({**loaded.meta, "trust": loaded.trust.describe()}, indent=2, sort_keys=True))
