"""Speech at the desk tablet: recognition (faster-whisper, Whisper base) and speech output (pyopenjtalk, espeak-ng).

`setup_speech(app)` registers `/api/speech/recognize`, `/api/speech/say` and `/api/speech/voices` (contract in
_parts/voice-api.md). Nothing heavy is imported until the first request that needs it.
"""

from channels.speech.routes import SPEECH, SpeechService, setup_speech

__all__ = ["SPEECH", "SpeechService", "setup_speech"]
