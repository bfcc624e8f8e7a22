package org.kerasalbert.demo

import android.os.Bundle
import android.os.SystemClock
import android.util.Log
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.kerasalbert.demo.databinding.ActivityQuestionAnswerBinding
import org.tensorflow.lite.task.text.qa.BertQuestionAnswerer
import org.tensorflow.lite.task.text.qa.QaAnswer

/**
 * Type a context and a question, see the answers found in the context and the time measured on the phone.
 * The TFLite Task Library's BertQuestionAnswerer reads the SentencePiece model and the tensor names from the
 * metadata of the file `keras-albert export` writes for a question-answering model; it packs
 * `[CLS] question [SEP] context [SEP]` to 384 positions itself. Loading and answering run off the main thread.
 */
class QuestionAnswerActivity : AppCompatActivity() {
    private lateinit var ui: ActivityQuestionAnswerBinding
    private var answerer: BertQuestionAnswerer? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        ui = ActivityQuestionAnswerBinding.inflate(layoutInflater)
        setContentView(ui.root)
        ui.answer.setOnClickListener { answer(ui.context.text.toString(), ui.question.text.toString()) }
        loadModel()
    }

    override fun onDestroy() {
        answerer?.close()
        answerer = null
        super.onDestroy()
    }

    private fun loadModel() {
        if (assets.list("")?.contains(QA_MODEL_ASSET) != true) {
            ui.status.setText(R.string.qa_model_missing)
            return
        }
        lifecycleScope.launch {
            val loaded = withContext(Dispatchers.Default) {
                runCatching { BertQuestionAnswerer.createFromFile(this@QuestionAnswerActivity, QA_MODEL_ASSET) }
            }
            loaded.onSuccess {
                answerer = it
                ui.status.setText(R.string.qa_ready)
                ui.answer.isEnabled = true
            }.onFailure { e ->
                Log.e(TAG, "question-answering model load failed", e)
                ui.status.text = getString(R.string.qa_model_failed, e.message ?: e.javaClass.simpleName)
            }
        }
    }

    private fun answer(context: String, question: String) {
        val model = answerer ?: return
        if (context.isBlank() || question.isBlank()) {
            ui.status.setText(R.string.qa_empty)
            return
        }
        ui.answer.isEnabled = false
        ui.status.setText(R.string.answering)
        lifecycleScope.launch {
            val shown = withContext(Dispatchers.Default) {
                runCatching {
                    val start = SystemClock.elapsedRealtimeNanos()
                    val answers: List<QaAnswer> = model.answer(context.trim(), question.trim())
                    val ms = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
                    format(answers, ms)
                }
            }
            shown.onSuccess {
                ui.result.text = it
                ui.status.text = ""
            }.onFailure { e ->
                Log.e(TAG, "answering failed", e)
                ui.status.text = getString(R.string.answer_failed, e.message ?: e.javaClass.simpleName)
            }
            ui.answer.isEnabled = true
        }
    }

    /** The best answers (the Task Library's text: whole words of the context) with their logit, then the time. */
    private fun format(answers: List<QaAnswer>, ms: Double): String {
        if (answers.isEmpty()) return getString(R.string.no_answer, ms)
        val lines = answers.take(TOP_K).mapIndexed { i, a ->
            "%d. %s   (logit %.2f)".format(i + 1, a.text.ifEmpty { "—" }, a.pos.logit)
        }
        return lines.joinToString("\n") + "\n" + getString(R.string.qa_time, ms)
    }

    companion object {
        private const val TAG = "AlbertQA"
        const val QA_MODEL_ASSET = "qa_model.tflite"
        const val TOP_K = 3
    }
}
