"""The vocabulary the curriculum draws from: short, common words, so that a tokenizer of a
few thousand tokens keeps most of them whole and a small model learns the tasks rather
than the spelling."""

from __future__ import annotations

__all__ = [
    "ANIMALS",
    "CITIES",
    "COLORS",
    "FIELD_VALUES",
    "FRUITS",
    "JOBS",
    "LABEL_WORDS",
    "LETTERS",
    "NAMES",
    "NOUNS",
    "SYMBOLS",
]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NOUNS: tuple[str, ...] = _split(
    """
    cat dog sun car hat cup pen box key map bed egg fan jar kit leg net owl pig rug
    bag bus cow fox hen ink log mop nut pot ram saw tap toy van web yak zip ant bat
    bee bow cap cot den dot elf fig gum hut ice jam kid lid mat mug oak pan pie pin
    rat rod tin tub wig arm art ash axe bell book boat bone cake coat corn desk door
    drum duck farm fish flag frog gate goat gold hill home horn lamp leaf lion milk
    moon nest note park pear rain ring road rock rose salt sand seed ship shoe sock
    star tent tree wall wind wolf yard bird cloud river stone apple bread chair clock
    glass grape house juice knife lemon mouse paper plate robot snake spoon table tiger
    towel train truck water whale
    """
)

NAMES: tuple[str, ...] = _split(
    """
    Ana Ben Cara Dan Eva Finn Gina Hugo Ivy Jack Kate Leo Mia Noah Olga Paul Rosa Sam
    Tara Umar Vera Will Yara Zoe Omar Lily Max Nina Owen Ruby Theo Emma Luca Sara Adam
    Maya Tom Ella Ravi Jun
    """
)

CITIES: tuple[str, ...] = _split(
    """
    Rome Paris Oslo Lima Cairo Delhi Tokyo Berlin Madrid Dublin Vienna Prague Quito
    Seoul Dakar Lagos Perth Boston Denver Austin
    """
)

COLORS: tuple[str, ...] = _split("red blue green pink gray black white brown")
ANIMALS: tuple[str, ...] = _split("cat dog cow pig hen fox owl bat ant bee")
FRUITS: tuple[str, ...] = _split("apple pear fig plum lime grape lemon mango")
JOBS: tuple[str, ...] = _split("cook pilot nurse baker judge farmer artist doctor")

# The fields of a small record ("name: Ana; age: 31; city: Rome"), each with its values;
# age is drawn as a number.
FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "name": NAMES,
    "city": CITIES,
    "color": COLORS,
    "pet": ANIMALS,
    "job": JOBS,
    "fruit": FRUITS,
}

# Label words drawn per prompt for in-context label mapping: the model can only learn which
# label a class gets from the demonstrations.
LABEL_WORDS: tuple[str, ...] = _split(
    """
    yes no foo bar up down left right hot cold on off alpha beta pass fail good bad
    north south one two zip zap tick tock ping pong
    """
)

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Targets of the in-context cipher: one symbol per letter, each its own pre-token when
# written with spaces.
SYMBOLS: tuple[str, ...] = _split("# % & * @ + = ? ! $ ^ ~ < >")
