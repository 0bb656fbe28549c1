"""Keras callbacks: the ``Callback`` base and one callback per module."""

from torchbridge.callbacks.backup_and_restore import BackupAndRestore
from torchbridge.callbacks.callback import Callback
from torchbridge.callbacks.callback_list import CallbackList
from torchbridge.callbacks.csv_logger import CSVLogger
from torchbridge.callbacks.early_stopping import EarlyStopping
from torchbridge.callbacks.history import History
from torchbridge.callbacks.lambda_callback import LambdaCallback
from torchbridge.callbacks.learning_rate_scheduler import LearningRateScheduler
from torchbridge.callbacks.model_checkpoint import ModelCheckpoint
from torchbridge.callbacks.progbar_logger import ProgbarLogger
from torchbridge.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from torchbridge.callbacks.remote_monitor import RemoteMonitor
from torchbridge.callbacks.swap_ema_weights import SwapEMAWeights
from torchbridge.callbacks.tensorboard import TensorBoard
from torchbridge.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
