"""cecode: the code of the book "Cross-entropy and softmax in PyTorch".

One module per concern; import the one you need, e.g. ``from cecode import functional as cf``.

- :mod:`cecode.functional` -- softmax, log-softmax, log-sum-exp, NLL and cross-entropy from scratch
- :mod:`cecode.exercises` -- checkers for the exercises at the end of each chapter
- :mod:`cecode.data`, :mod:`cecode.downloads` -- MNIST as tensors and batches; checked data files
- :mod:`cecode.models`, :mod:`cecode.training`, :mod:`cecode.evaluation`, :mod:`cecode.parameters`,
  :mod:`cecode.plots` -- the MLP, the training loop, evaluation, parameter summaries, shared plots
- :mod:`cecode.allocations` -- exact counts of the tensors PyTorch operations create
- :mod:`cecode.information` -- entropy from logits and ``kl_div`` (what cross-entropy measures)
- :mod:`cecode.binary`, :mod:`cecode.classification_metrics`, :mod:`cecode.multilabel` -- losses on
  sigmoid outputs, metrics for binary, multi-label and imbalanced classes, multi-digit images
- :mod:`cecode.calibration`, :mod:`cecode.large_vocab`, :mod:`cecode.distributed` -- calibrated
  probabilities and cross-entropy at scale (and the vocabulary-parallel loss)
- :mod:`cecode.distillation`, :mod:`cecode.contrastive` -- knowledge distillation from soft
  targets; InfoNCE and CLIP's loss as cross-entropy over a similarity matrix
- :mod:`cecode.text`, :mod:`cecode.stability` -- Tiny Shakespeare as characters; the z-loss and
  logit soft-capping of large language models
"""

__version__ = "0.1.0"
