"""A chapter from outside the wizard's tree: its own question and step, loaded by MLOPS_WIZARD_CHAPTERS."""

from tests.toy_chapter.chapter import CHAPTER as CHAPTER
