package org.kerasalbert.demo

import android.content.Intent
import android.os.Bundle
import android.os.SystemClock
import android.util.Log
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import com.google.mediapipe.tasks.core.BaseOptions
import com.google.mediapipe.tasks.text.textclassifier.TextClassifier
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.kerasalbert.core.Category
import org.kerasalbert.core.Labels
import org.kerasalbert.core.ResultFormatter
import org.kerasalbert.core.TextInput
import org.kerasalbert.demo.databinding.ActivityMainBinding

/**
 * Type a sentence, see its label, probability and the inference time measured on the phone.
 * MediaPipe's TextClassifier reads the tokenizer and the labels from the model's metadata; loading and
 * classifying run on a background dispatcher, the UI only shows the results.
 */
class MainActivity : AppCompatActivity() {
    private lateinit var ui: ActivityMainBinding
    private var classifier: TextClassifier? = null
    private var labelsFile: Labels? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        ui = ActivityMainBinding.inflate(layoutInflater)
        setContentView(ui.root)
        ui.classify.setOnClickListener { classify(ui.input.text.toString()) }
        ui.openQa.setOnClickListener { startActivity(Intent(this, QuestionAnswerActivity::class.java)) }
        loadModel()
    }

    override fun onDestroy() {
        classifier?.close()
        classifier = null
        super.onDestroy()
    }

    private fun loadModel() {
        if (assets.list("")?.contains(MODEL_ASSET) != true) {
            ui.status.setText(R.string.model_missing)
            return
        }
        lifecycleScope.launch {
            val loaded = withContext(Dispatchers.Default) {
                runCatching {
                    val options = TextClassifier.TextClassifierOptions.builder()
                        .setBaseOptions(BaseOptions.builder().setModelAssetPath(MODEL_ASSET).build())
                        .build()
                    val labels = if (assets.list("")?.contains(LABELS_ASSET) == true) {
                        assets.open(LABELS_ASSET).use { Labels.read(it) }
                    } else null
                    TextClassifier.createFromOptions(this@MainActivity, options) to labels
                }
            }
            loaded.onSuccess { (model, labels) ->
                classifier = model
                labelsFile = labels
                ui.status.setText(R.string.ready)
                ui.classify.isEnabled = true
            }.onFailure { e ->
                Log.e(TAG, "model load failed", e)
                ui.status.text = getString(R.string.model_failed, e.message ?: e.javaClass.simpleName)
            }
        }
    }

    private fun classify(raw: String) {
        val model = classifier ?: return
        val text = try {
            TextInput.validate(raw)
        } catch (e: IllegalArgumentException) {
            ui.status.text = e.message
            return
        }
        ui.classify.isEnabled = false
        ui.status.setText(R.string.classifying)
        lifecycleScope.launch {
            val shown = withContext(Dispatchers.Default) {
                runCatching {
                    val start = SystemClock.elapsedRealtimeNanos()
                    val result = model.classify(text)
                    val ms = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
                    val categories = result.classificationResult().classifications().first().categories()
                    val scores = FloatArray((categories.maxOfOrNull { it.index() } ?: -1) + 1)
                    val names = MutableList(scores.size) { "" }
                    for (c in categories) {
                        scores[c.index()] = c.score()
                        names[c.index()] = c.displayName().ifEmpty { c.categoryName() }
                    }
                    val labels = if (names.all { it.isNotEmpty() }) Labels(names) else labelsFile ?: Labels(emptyList())
                    ResultFormatter.format(Category.topK(scores, labels, TOP_K), ms)
                }
            }
            shown.onSuccess {
                ui.result.text = it
                ui.status.text = ""
            }.onFailure { e ->
                Log.e(TAG, "classification failed", e)
                ui.status.text = getString(R.string.classify_failed, e.message ?: e.javaClass.simpleName)
            }
            ui.classify.isEnabled = true
        }
    }

    companion object {
        private const val TAG = "AlbertDemo"
        const val MODEL_ASSET = "model.tflite"
        const val LABELS_ASSET = "labels.txt"
        const val TOP_K = 3
    }
}
