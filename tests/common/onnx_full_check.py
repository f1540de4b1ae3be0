"""onnx.checker.check_model(full_check=True) as one call for the test scripts: None when the model passes, else the
first line of the checker's message. A path is loaded first: onnx 1.12's check_model on a path with full_check
writes the shape-inferred model back over the file (a QDQ ViT grew by 92 KB), which must not change the file
under test."""
import onnx


def full_check_error(model):
    """model: a path or a ModelProto."""
    try:
        onnx.checker.check_model(onnx.load(model) if isinstance(model, str) else model, full_check=True)
        return None
    except Exception as e:  # noqa: BLE001 (the checker raises several types)
        return str(e).splitlines()[0] if str(e) else type(e).__name__
